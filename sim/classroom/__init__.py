"""The classroom game (``relsim classroom``): each student runs one exporter of a shared market.

``market``: the market with a policy and a budget split per exporter; ``game``: students, rounds,
decisions and the results folder; ``debrief``: what the class reads at the end, from that folder;
``server``: the teacher's and the students' pages (HTTP on loopback unless told otherwise).
"""
