"""PASOPATI: crisis-communication runbooks for Ditjenpas, run on Prefect 3."""

import os

# Prefect 3.8 sends usage events to a third party (Amplitude) from an interactive terminal when it is
# first imported, unless DO_NOT_TRACK is set; its server's PREFECT_SERVER_ANALYTICS_ENABLED does not
# cover that. PASOPATI reaches nothing beyond the machine unless a channel is configured to, so every
# process it starts (the CLI, `pasopati serve`, the runs, the server) opts out before Prefect is
# imported. An operator who sets DO_NOT_TRACK themselves keeps their value.
os.environ.setdefault("DO_NOT_TRACK", "1")
