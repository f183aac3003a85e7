"""Action plans: their content and versions, measurement cycles, progress and publication."""
