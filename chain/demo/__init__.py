"""The demo: the notice's scenario seeded on a running ledger through the gateway's HTTP
API (``ledger demo``, ``make demo``). :mod:`chain.demo.scenario` is the scenario as
data; :mod:`chain.demo.runner` sends it and reports the logins and figures."""
