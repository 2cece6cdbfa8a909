//! Agents: one role each. [`app`]: the application's byte stream and the IN source's beats; [`software`]: host
//! software (EP0 drivers, reaction times, endpoint recovery).
pub mod app;
pub mod software;
