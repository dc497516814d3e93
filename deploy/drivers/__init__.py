"""Device drivers behind one Protocol, chosen by the platform's safe-commit capability (data)."""
