# Instruction: Find out whether the printer room has paper, and tell me what you found.
def task_program():
    start_loc = get_current_location()
    go_to("printer room")
    has_paper = is_in_room("paper")
    go_to(start_loc)
    if has_paper:
        say("The printer room has paper")
    else:
        say("The printer room is out of paper")

# Instruction: Ask Maya in her office whether she wants tea or coffee, bring her what she chose from the kitchen, and tell her it is here.
def task_program():
    go_to("Maya's office")
    choice = ask("Maya", "Would you like tea or coffee?", ["tea", "coffee"])
    go_to("kitchen")
    pick(choice)
    go_to("Maya's office")
    place(choice)
    say("Here is your " + choice)

# Instruction: Go to every meeting room and take any laptop you find to the lost and found.
def task_program():
    for room in get_all_rooms():
        if "meeting room" not in room:
            continue
        go_to(room)
        if is_in_room("laptop"):
            pick("laptop")
            go_to("lost and found")
            place("laptop")

# Instruction: Wait in the lobby until a visitor arrives, ask them who they are here to see, and tell me.
def task_program():
    start_loc = get_current_location()
    go_to("lobby")
    while not is_in_room("person"):
        time.sleep(1)
    host = ask("", "Who are you here to see?", ["Dr. Lee", "Ms. Ortiz", "someone else"])
    go_to(start_loc)
    say("A visitor is here to see " + host)
