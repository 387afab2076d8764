CREATE DATABASE rasa_tracker OWNER kommunallotse;
