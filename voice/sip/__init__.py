"""SIP front end: pjsua2 media workers, Kamailio dispatcher, prompt and speech media."""
