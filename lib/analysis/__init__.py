"""lib/analysis"""
