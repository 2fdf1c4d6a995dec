//! Signals from the window: the Signals view's charts and the run header's SLO badges, each one
//! line over `crate::signals` (which reads through the engine and draws through
//! `flightdeck_charts`).

use tauri::State;

use crate::error::IpcError;
use crate::host::Host;
use crate::signals::{self, SignalsReq, SignalsView, SloBadge};

/// One refresh of the Signals view: the four golden-signal panels and one burn-rate panel per
/// SLO over `req.range`, drawn (plotters) or as points (canvas), and the SLOs' states.
#[tauri::command]
pub async fn signal_panels(host: State<'_, Host>, req: SignalsReq) -> Result<SignalsView, IpcError> {
    signals::view(&host, req).await
}

/// The run's SLOs evaluated now, for the badges in its header.
#[tauri::command]
pub async fn slo_status(host: State<'_, Host>, run: String) -> Result<Vec<SloBadge>, IpcError> {
    signals::badges(&host, &run).await
}
