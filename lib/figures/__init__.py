"""lib/figures"""
