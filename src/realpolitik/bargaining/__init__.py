"""Bargaining forecasts: Bueno de Mesquita's expected-utility model (EUM) and
KTAB's spatial model of politics (SMP), on shared input and result types."""
