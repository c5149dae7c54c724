"""theory: the paper's bounds in sympy, certified Lipschitz constants and the proof checker."""
