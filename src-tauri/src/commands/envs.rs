//! Environments and their secrets, for the environment editor: thin adapters over
//! `flightdeck_engine::environments`.
//!
//! Variables live in the store. A secret's value goes from the password box straight into the
//! OS keyring and is never sent back: the UI only ever gets its name and "updated at". Keyring
//! and store work runs on the blocking pool (a locked keyring can take seconds to answer).

use flightdeck_engine::environments::{EnvDetail, EnvSummary, Environments};
use flightdeck_engine::secrets::Sensitive;
use serde::Deserialize;
use tauri::State;
use ts_rs::TS;

use crate::error::{ErrorCode, IpcError};
use crate::host::Host;

#[derive(Debug, Clone, Deserialize, TS)]
pub struct CreateEnvReq {
    pub name: String,
    /// Steps that change the target ask for confirmation first.
    pub production: bool,
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct SetVarReq {
    pub env: String,
    pub key: String,
    pub value: String,
}

/// A secret to store. Its `Debug` never shows the value.
#[derive(Clone, Deserialize, TS)]
pub struct SetSecretReq {
    pub env: String,
    pub name: String,
    pub value: String,
}

impl std::fmt::Debug for SetSecretReq {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SetSecretReq")
            .field("env", &self.env)
            .field("name", &self.name)
            .field("value", &"***")
            .finish()
    }
}

#[derive(Debug, Clone, Deserialize, TS)]
pub struct RemoveSecretReq {
    pub env: String,
    pub name: String,
}

/// `f` over the store's environments on the blocking pool.
async fn with_envs<T, F>(host: &Host, f: F) -> Result<T, IpcError>
where
    T: Send + 'static,
    F: FnOnce(&Environments) -> Result<T, IpcError> + Send + 'static,
{
    let envs = host.environments().await?;
    tauri::async_runtime::spawn_blocking(move || f(&envs))
        .await
        .map_err(|e| IpcError::new(ErrorCode::Internal, format!("environment task failed: {e}")))?
}

#[tauri::command]
pub async fn list_envs(host: State<'_, Host>) -> Result<Vec<EnvSummary>, IpcError> {
    with_envs(&host, |e| Ok(e.list()?)).await
}

#[tauri::command]
pub async fn show_env(host: State<'_, Host>, env: String) -> Result<EnvDetail, IpcError> {
    with_envs(&host, move |e| Ok(e.show(&env)?)).await
}

#[tauri::command]
pub async fn create_env(host: State<'_, Host>, req: CreateEnvReq) -> Result<EnvDetail, IpcError> {
    with_envs(&host, move |e| {
        let name = req.name.trim();
        e.create(name, req.production)?;
        Ok(e.show(name)?)
    })
    .await
}

#[tauri::command]
pub async fn set_env_var(host: State<'_, Host>, req: SetVarReq) -> Result<EnvDetail, IpcError> {
    with_envs(&host, move |e| {
        e.set_var(&req.env, req.key.trim(), &req.value)?;
        Ok(e.show(&req.env)?)
    })
    .await
}

/// Store a secret in the OS keyring; answers the environment (names and times, no values).
#[tauri::command]
pub async fn set_secret(host: State<'_, Host>, req: SetSecretReq) -> Result<EnvDetail, IpcError> {
    let keyring = host.keyring();
    with_envs(&host, move |e| {
        if req.value.is_empty() {
            return Err(IpcError::new(ErrorCode::Invalid, "the secret's value is empty"));
        }
        let value = Sensitive::new(req.value);
        e.set_secret(&keyring.get()?, &req.env, req.name.trim(), &value)?;
        Ok(e.show(&req.env)?)
    })
    .await
}

#[tauri::command]
pub async fn remove_secret(host: State<'_, Host>, req: RemoveSecretReq) -> Result<EnvDetail, IpcError> {
    let keyring = host.keyring();
    with_envs(&host, move |e| {
        e.remove_secret(&keyring.get()?, &req.env, &req.name)?;
        Ok(e.show(&req.env)?)
    })
    .await
}
