//! `flightdeck run people ...`: who is known to a run (the header's roles, the creator, people
//! added), adding one, and how many distinct people GO needs. The rules themselves are the
//! engine's (`run::rules`); this only builds the requests and prints the answers.

use clap::Subcommand;
use flightdeck_engine::run;
use flightdeck_engine::store::Store;

use crate::who::By;
use crate::{render, Ctx};

#[derive(Debug, Subcommand)]
pub enum PeopleCmd {
    /// The people known to the run, with their roles (every event's actor must be one of them).
    List { run: String },
    /// Make NAME known to the run with a role (recorded as `person_added`, by someone known).
    Add {
        run: String,
        /// The person's name, as they give it with --by.
        name: String,
        /// Their role: `decision-maker`, `on-call-engineer`, `pre-flight-gates-signoff`, ...
        #[arg(long)]
        role: String,
        #[command(flatten)]
        by: By,
    },
    /// How many distinct people must say GO (default 1); one NO-GO still ends the vote.
    Approvers {
        run: String,
        /// 1 to 20.
        min: u32,
        #[command(flatten)]
        by: By,
    },
}

pub fn people(ctx: &Ctx, store: &mut Store, cmd: PeopleCmd) -> anyhow::Result<()> {
    match cmd {
        PeopleCmd::List { run } => {
            let state = run::load(store, &run)?.state;
            if ctx.json {
                return render::json(&serde_json::json!({
                    "run_id": state.run_id,
                    "people": state.people,
                    "min_approvers": state.min_approvers,
                }));
            }
            let mut o = String::new();
            for p in &state.people {
                o.push_str(&render::esc(&run::people::describe(p)));
                o.push('\n');
            }
            o.push_str(&format!(
                "GO needs {} distinct approver(s)\n",
                state.min_approvers
            ));
            render::print(&o)
        }
        PeopleCmd::Add { run, name, role, by } => {
            let req = run::AddPersonReq { run, name, role };
            let applied = run::add_person(store, &by.name(ctx)?, req)?;
            crate::run_cmd::done(ctx, applied, store)
        }
        PeopleCmd::Approvers { run, min, by } => {
            let req = run::SetApproversReq { run, min };
            let applied = run::set_approvers(store, &by.name(ctx)?, req)?;
            crate::run_cmd::done(ctx, applied, store)
        }
    }
}
