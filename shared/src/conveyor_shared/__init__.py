"""Conveyor's common library, shared by every service."""
