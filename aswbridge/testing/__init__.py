"""Tools for testing integrations with aswbridge (mock services)."""
