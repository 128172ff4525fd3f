print("slips: CLI being assembled")
