"""Synonym banks and POLE prompt-class selection (METHOD §2)."""
