"""lienthong.db"""
