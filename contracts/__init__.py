"""The shared vocabulary of igny8: stage numbers and names, statuses, progress words, and the
payloads that cross between workflows, activities, services, the API and the CLI.

Imports only pydantic and the standard library, so every side can use it, and nothing with a
database or network import is ever passed through the workflow sandbox.
"""
