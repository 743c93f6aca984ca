#include <smtp/envelope.hpp>

#include <boost/test/unit_test.hpp>

#include <string>
#include <vector>

BOOST_AUTO_TEST_SUITE(envelope)

BOOST_AUTO_TEST_CASE(set_sender_and_add_recipient) {
    smtp::envelope<> env;
    std::vector<std::string> opts{"SIZE=10"};
    env.set_sender("a@b.c", opts);
    env.add_recipient("d@e.f", {});
    env.add_recipient("g@h.i", opts);
    BOOST_TEST(env.mail_from == "a@b.c");
    BOOST_TEST(env.mail_options == opts);
    BOOST_TEST(env.rcpt_tos == (std::vector<std::string>{"d@e.f", "g@h.i"}));
    BOOST_TEST(env.rcpt_options == opts);
}

BOOST_AUTO_TEST_CASE(reset_empties_everything) {
    smtp::envelope<> env;
    env.set_sender("a@b.c", {});
    env.add_recipient("d@e.f", {});
    env.smtp_utf8 = true;
    env.original_content = "body";
    env.content = env.original_content;
    env.reset();
    BOOST_TEST(env.mail_from.empty());
    BOOST_TEST(env.rcpt_tos.empty());
    BOOST_TEST(!env.smtp_utf8);
    BOOST_TEST(env.original_content.empty());
    BOOST_TEST(env.content.empty());
}

// The default content is a view of original_content; copies must view their own bytes.
BOOST_AUTO_TEST_CASE(copy_and_move_rebind_content_view) {
    for (std::string body : {std::string("short"), std::string(1000, 'x')}) {
        smtp::envelope<> env;
        env.original_content = body;
        env.content = std::string_view(env.original_content).substr(1);
        smtp::envelope<> copy = env;
        BOOST_TEST(copy.content == body.substr(1));
        BOOST_TEST((copy.content.data() == copy.original_content.data() + 1));
        smtp::envelope<> moved = std::move(copy);
        BOOST_TEST(moved.content == body.substr(1));
        BOOST_TEST((moved.content.data() == moved.original_content.data() + 1));
        smtp::envelope<> assigned;
        assigned = env;
        BOOST_TEST((assigned.content.data() == assigned.original_content.data() + 1));
    }
}

BOOST_AUTO_TEST_SUITE_END()
