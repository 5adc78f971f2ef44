"""lib/sources/table"""
