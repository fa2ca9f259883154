"""lienthong.pdfsign"""
