"""The test project's hotel app: one Booking model and a check-in view."""
