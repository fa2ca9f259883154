"""lienthong.office"""
