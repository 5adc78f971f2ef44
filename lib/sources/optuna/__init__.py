"""lib/sources/optuna"""
