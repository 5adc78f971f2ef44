"""lib/views"""
