//! Agents: one role each, driving one interface.
