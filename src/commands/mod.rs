//! One module per subcommand, each with its own arguments: orchestration only (parsing lives in
//! `probe/`, files in `store/`, processes in `sys/`). No command imports another; what two commands
//! share lives outside `commands/`, or in [`args`] and [`output`], which are not commands.

pub mod agent;
pub mod args;
pub mod capture;
pub mod compare;
pub mod diff;
pub mod events;
pub mod export;
pub mod extract;
pub mod generate;
pub mod hosts;
pub mod init;
pub mod nats;
pub mod output;
pub mod readiness;
pub mod rollup;
pub mod sample;
pub mod serve;
pub mod show;
pub mod sync;
pub mod telemetry;
