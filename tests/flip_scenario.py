"""A two-move scenario whose first choice flips where x crosses 0.3 (Alpha
takes left, worth x, over right, worth c = 0.3): the hand-computed fixture of
the sensitivity and discovery tests."""

FLIP = """\
id: flip
title: A choice that flips at 0.3
actors:
  a: {name: Alpha}
  b: {name: Beta}
sources:
  s: {cite: Hand calculation}
parameters:
  x: {dist: uniform, low: 0, high: 1, source: s}
  z: {dist: uniform, low: 0, high: 1, source: s}
  c: {dist: fixed, value: 0.3, source: s}
moves:
  - id: pick
    actor: a
    actions: {left: Left, right: Right}
  - id: reply
    actor: b
    when: "a == left"
    actions: {accept: Accept, refuse: Refuse}
payoffs:
  a:
    gain: "x * (a == left) + c * (a == right)"
  b:
    gain: "0.5 * (b == accept)"
metrics:
  score:
    expr: "2 * (a == left)"
solve: {concept: spe}
"""
