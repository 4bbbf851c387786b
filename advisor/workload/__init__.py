"""Workload and policy documents: what the architect asks for."""
