"""lib/sources/wandb"""
