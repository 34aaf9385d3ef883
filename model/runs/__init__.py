"""Running the model: one run and its result folder, seeds, comparisons, sweeps and their analysis.

Built on the simulation core; the core never imports from here.
"""
