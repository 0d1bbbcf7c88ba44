"""The pure core of projledger: load, check, compute, and render-ready data.

Nothing here imports click, prints, reads the clock or exits: every function takes what it
needs (paths, text, ``as_of`` dates) as arguments, so the commands and the tests drive it alike.
"""
