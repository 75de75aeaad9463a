"""The WordPress REST API integration: client, error classification, connection test."""
