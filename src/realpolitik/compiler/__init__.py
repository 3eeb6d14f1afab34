"""Compile a scenario into a game tree: the step between the file format
(:mod:`realpolitik.scenario`, pure data) and the game engine
(:mod:`realpolitik.games`, :mod:`realpolitik.solve`), which know nothing of
each other."""
