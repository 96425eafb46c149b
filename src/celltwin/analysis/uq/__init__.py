"""(III) Uncertainty: sampling runs and their checkpoints, sensitivity, specs and yield, studies."""
