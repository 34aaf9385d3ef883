"""What users see: charts of runs and sweeps, the workshop brief and the live dashboard.

Drawn from saved result files (or a live model, for the dashboard); the core never imports from here.
"""
