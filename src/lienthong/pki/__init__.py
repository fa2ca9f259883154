"""lienthong.pki"""
