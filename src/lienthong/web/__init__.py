"""lienthong.web"""
