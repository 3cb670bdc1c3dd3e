"""Azure Monitor's server-side view of the probed resources: settings, the SDK reads, the import."""
