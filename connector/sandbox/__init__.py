"""A local, HubSpot-compatible CRM API server for tests, demos and trying a configuration safely."""
