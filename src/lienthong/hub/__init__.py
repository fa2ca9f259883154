"""lienthong.hub"""
