"""The edXML wire format (QCVN 102:2016): pure, bytes in and out, no database."""
