"""Test helpers shared by the tiers: workspaces, processes, the Google fake, scripted plays."""
