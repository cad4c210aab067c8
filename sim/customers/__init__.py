"""A firm's own customer file: reading it, its statistics, and the buy-till-you-die baseline.

* :mod:`sim.customers.reader`   read and check a CSV/parquet customer file (one row per purchase, or per
                                customer per subscribed period); bad files raise ``CustomerFileError``
* :mod:`sim.customers.stats`    cohorts, retention curves, frequency, revenue by age, concentration, tenure
* :mod:`sim.customers.btyd`     BG/NBD and shifted-beta-geometric by maximum likelihood, with forecasts
* :mod:`sim.customers.baseline` the baseline of a file fitted up to a cut-off and forecast after it
* :mod:`sim.customers.run`      ``relsim customers``: everything above written as a results folder
* :mod:`sim.customers.figures`  that folder's figures, from its tables

Nothing here runs the market model; the engine does not import this package.
"""
