def test_a_resident_leaves_a_suggestion_through_a_dialog(chat):
    chat.say("张三", "/suggest")
    chat.say("张三", "楼道灯坏了")
    chat.pick("张三", 2)
    assert "1" in chat.last()
    chat.grant("王主任", "staff")
    assert "楼道灯坏了" in chat.say("王主任", "/suggestions")[0]
