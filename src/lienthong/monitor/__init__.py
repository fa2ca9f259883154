"""lienthong.monitor"""
