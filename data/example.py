# Ask everyone in an office whether they want a snack; bring one to those who do.
def task_program():
    start_loc = get_current_location()
    for room in get_all_rooms():
        if "office" not in room:
            continue
        go_to(room)
        if is_in_room("person"):
            response = ask("", "Would you like a snack?", ["Yes", "No"])
            if response == "Yes":
                go_to("kitchen")
                pick("snack")
                go_to(room)
                place("snack")
    go_to(start_loc)
    say("I have asked everyone in the offices about snacks")
