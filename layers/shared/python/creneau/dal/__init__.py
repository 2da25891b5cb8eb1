"""Data access: one module per aggregate. Nothing above this package sees DynamoDB's shapes."""
