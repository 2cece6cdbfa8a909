//! Host-side models.
