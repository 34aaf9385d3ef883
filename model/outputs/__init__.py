"""What users see: charts of runs and sweeps, the workshop brief and the live dashboard.

Drawn from saved result files (or a live model, for the dashboard); the core never imports from here.
A run's charts: style (the shared look), run_data (reading a result folder), maps, series,
displacement, run_charts (all of them at once); sweeps: sweep_charts. The brief: brief_numbers
(numbers and sentences), brief (PDF and HTML). The dashboard: dashboard_model (levers),
dashboard_figures, dashboard (the Solara page).
"""
