# ruff: noqa: E501 - one author per line reads better than wrapped title lists
"""Real public-domain works (author died before 1956) for the demo library catalogue.

One line per author and subject: ``author | language | subject | title; title; ...``.
Written by hand from the authors' bibliographies; ``make_catalogues.py`` turns them
into menus/data/library_catalogue.csv.
"""

WORKS = """
Charles Dickens|en|novel|Oliver Twist; David Copperfield; Great Expectations; Bleak House; Hard Times; Little Dorrit; Our Mutual Friend; Dombey and Son; Nicholas Nickleby; The Pickwick Papers; Martin Chuzzlewit; Barnaby Rudge; The Old Curiosity Shop; A Tale of Two Cities; The Mystery of Edwin Drood
Charles Dickens|en|short stories|A Christmas Carol; The Chimes; The Cricket on the Hearth
Jane Austen|en|romance|Pride and Prejudice; Sense and Sensibility; Emma; Mansfield Park; Northanger Abbey; Persuasion; Lady Susan
Mark Twain|en|adventure|The Adventures of Tom Sawyer; Adventures of Huckleberry Finn; The Prince and the Pauper; A Connecticut Yankee in King Arthur's Court; Tom Sawyer Abroad; Tom Sawyer, Detective
Mark Twain|en|satire|The Innocents Abroad; Roughing It; Life on the Mississippi; A Tramp Abroad; Pudd'nhead Wilson; The Gilded Age; The Mysterious Stranger
Arthur Conan Doyle|en|mystery|A Study in Scarlet; The Sign of the Four; The Adventures of Sherlock Holmes; The Memoirs of Sherlock Holmes; The Hound of the Baskervilles; The Return of Sherlock Holmes; The Valley of Fear; His Last Bow
Arthur Conan Doyle|en|adventure|The Lost World; The White Company; Micah Clarke
H. G. Wells|en|science fiction|The Time Machine; The Island of Doctor Moreau; The Invisible Man; The War of the Worlds; The First Men in the Moon; The Food of the Gods; In the Days of the Comet; The War in the Air; The Sleeper Awakes
H. G. Wells|en|novel|Kipps; Tono-Bungay; The History of Mr Polly; Ann Veronica
Robert Louis Stevenson|en|adventure|Treasure Island; Kidnapped; Catriona; The Black Arrow; The Master of Ballantrae; The Wrecker
Robert Louis Stevenson|en|gothic|Strange Case of Dr Jekyll and Mr Hyde; The Body Snatcher; Olalla
Robert Louis Stevenson|en|poetry|A Child's Garden of Verses
Oscar Wilde|en|novel|The Picture of Dorian Gray
Oscar Wilde|en|drama|The Importance of Being Earnest; An Ideal Husband; Lady Windermere's Fan; A Woman of No Importance; Salome
Oscar Wilde|en|fairy tales|The Happy Prince and Other Tales; A House of Pomegranates; The Canterville Ghost
Thomas Hardy|en|novel|Far from the Madding Crowd; The Return of the Native; The Mayor of Casterbridge; Tess of the d'Urbervilles; Jude the Obscure; The Woodlanders; Under the Greenwood Tree; A Pair of Blue Eyes; The Trumpet-Major; Two on a Tower
George Eliot|en|novel|Middlemarch; The Mill on the Floss; Silas Marner; Adam Bede; Daniel Deronda; Romola; Felix Holt, the Radical
Charlotte Brontë|en|novel|Jane Eyre; Villette; Shirley; The Professor
Emily Brontë|en|novel|Wuthering Heights
Anne Brontë|en|novel|Agnes Grey; The Tenant of Wildfell Hall
Anthony Trollope|en|novel|The Warden; Barchester Towers; Doctor Thorne; Framley Parsonage; The Small House at Allington; The Last Chronicle of Barset; Can You Forgive Her?; Phineas Finn; The Way We Live Now; He Knew He Was Right
Rudyard Kipling|en|children|The Jungle Book; The Second Jungle Book; Just So Stories; Puck of Pook's Hill; Rewards and Fairies
Rudyard Kipling|en|adventure|Kim; Captains Courageous; The Light that Failed; The Man Who Would Be King
Herman Melville|en|adventure|Moby-Dick; Typee; Omoo; White-Jacket; Redburn
Herman Melville|en|short stories|Bartleby, the Scrivener; Billy Budd; Benito Cereno
Nathaniel Hawthorne|en|novel|The Scarlet Letter; The House of the Seven Gables; The Blithedale Romance; The Marble Faun
Nathaniel Hawthorne|en|short stories|Twice-Told Tales; Mosses from an Old Manse
Edgar Allan Poe|en|gothic|The Fall of the House of Usher; The Masque of the Red Death; The Tell-Tale Heart; The Pit and the Pendulum; The Black Cat; The Cask of Amontillado; The Narrative of Arthur Gordon Pym
Edgar Allan Poe|en|mystery|The Murders in the Rue Morgue; The Purloined Letter; The Gold-Bug; The Mystery of Marie Rogêt
Edgar Allan Poe|en|poetry|The Raven and Other Poems
Jack London|en|adventure|The Call of the Wild; White Fang; The Sea-Wolf; Martin Eden; The Iron Heel; Burning Daylight; Smoke Bellew; The Star Rover; Before Adam
Henry James|en|novel|The Portrait of a Lady; Washington Square; The Bostonians; The Wings of the Dove; The Ambassadors; The Golden Bowl; Daisy Miller; What Maisie Knew
Henry James|en|gothic|The Turn of the Screw
Edith Wharton|en|novel|The House of Mirth; The Age of Innocence; Ethan Frome; The Custom of the Country; Summer; The Reef
Joseph Conrad|en|novel|Heart of Darkness; Lord Jim; Nostromo; The Secret Agent; Under Western Eyes; Typhoon; Victory; Chance; The Nigger of the Narcissus; Almayer's Folly
Walter Scott|en|history|Ivanhoe; Waverley; Rob Roy; The Heart of Midlothian; The Bride of Lammermoor; Kenilworth; Quentin Durward; Old Mortality; Guy Mannering; The Talisman
Daniel Defoe|en|adventure|Robinson Crusoe; Moll Flanders; Roxana; A Journal of the Plague Year; Captain Singleton
Jonathan Swift|en|satire|Gulliver's Travels; A Modest Proposal; A Tale of a Tub
Henry Fielding|en|novel|Tom Jones; Joseph Andrews; Amelia
Laurence Sterne|en|novel|Tristram Shandy; A Sentimental Journey
William Makepeace Thackeray|en|novel|Vanity Fair; The History of Henry Esmond; Barry Lyndon; Pendennis; The Newcomes
Elizabeth Gaskell|en|novel|North and South; Cranford; Mary Barton; Wives and Daughters; Ruth; Sylvia's Lovers
Wilkie Collins|en|mystery|The Woman in White; The Moonstone; Armadale; No Name; The Law and the Lady; The Dead Secret
Lewis Carroll|en|children|Alice's Adventures in Wonderland; Through the Looking-Glass; The Hunting of the Snark; Sylvie and Bruno
Kenneth Grahame|en|children|The Wind in the Willows; The Reluctant Dragon
Frances Hodgson Burnett|en|children|The Secret Garden; A Little Princess; Little Lord Fauntleroy
Louisa May Alcott|en|children|Little Women; Good Wives; Little Men; Jo's Boys; An Old-Fashioned Girl; Eight Cousins
L. Frank Baum|en|children|The Wonderful Wizard of Oz; The Marvelous Land of Oz; Ozma of Oz; Dorothy and the Wizard in Oz; The Road to Oz; The Emerald City of Oz
Lucy Maud Montgomery|en|children|Anne of Green Gables; Anne of Avonlea; Anne of the Island; Anne's House of Dreams; Rilla of Ingleside; The Story Girl
J. M. Barrie|en|children|Peter Pan; Peter and Wendy; The Little White Bird
William Shakespeare|en|drama|Hamlet; Macbeth; Othello; King Lear; Romeo and Juliet; A Midsummer Night's Dream; The Tempest; Twelfth Night; Much Ado About Nothing; As You Like It; The Merchant of Venice; Julius Caesar; Antony and Cleopatra; Richard III; Henry V; The Taming of the Shrew; The Winter's Tale; Measure for Measure; Coriolanus; Titus Andronicus; The Comedy of Errors; Love's Labour's Lost; Richard II; Henry IV, Part 1; Cymbeline; Pericles
William Shakespeare|en|poetry|The Sonnets; Venus and Adonis; The Rape of Lucrece
Mary Shelley|en|gothic|Frankenstein; The Last Man; Mathilda
Bram Stoker|en|gothic|Dracula; The Jewel of Seven Stars; The Lair of the White Worm
Jerome K. Jerome|en|satire|Three Men in a Boat; Three Men on the Bummel; Idle Thoughts of an Idle Fellow
Anna Sewell|en|children|Black Beauty
Harriet Beecher Stowe|en|novel|Uncle Tom's Cabin
Stephen Crane|en|novel|The Red Badge of Courage; Maggie: A Girl of the Streets
Kate Chopin|en|novel|The Awakening
Willa Cather|en|novel|O Pioneers!; My Ántonia; The Song of the Lark
G. K. Chesterton|en|mystery|The Innocence of Father Brown; The Wisdom of Father Brown; The Man Who Was Thursday; The Napoleon of Notting Hill
John Buchan|en|adventure|The Thirty-Nine Steps; Greenmantle; Mr Standfast
Anthony Hope|en|adventure|The Prisoner of Zenda; Rupert of Hentzau
H. Rider Haggard|en|adventure|King Solomon's Mines; She; Allan Quatermain
Baroness Orczy|en|adventure|The Scarlet Pimpernel; Eldorado
Jules Verne|fr|science fiction|Vingt mille lieues sous les mers; De la Terre à la Lune; Autour de la Lune; Voyage au centre de la Terre; Cinq semaines en ballon; Robur le Conquérant; Paris au XXe siècle; Le Rayon vert
Jules Verne|fr|adventure|Le Tour du monde en quatre-vingts jours; L'Île mystérieuse; Michel Strogoff; Les Enfants du capitaine Grant; Un capitaine de quinze ans; Les Aventures du capitaine Hatteras; Le Château des Carpathes; Mathias Sandorf; Deux ans de vacances; Kéraban-le-Têtu; Le Phare du bout du monde; Nord contre Sud; L'École des Robinsons; Le Sphinx des glaces; César Cascabel
Victor Hugo|fr|novel|Les Misérables; Notre-Dame de Paris; Les Travailleurs de la mer; L'Homme qui rit; Quatrevingt-treize; Le Dernier Jour d'un condamné; Claude Gueux; Bug-Jargal; Han d'Islande
Victor Hugo|fr|poetry|Les Contemplations; La Légende des siècles; Les Châtiments; Les Orientales; Les Feuilles d'automne; L'Art d'être grand-père
Victor Hugo|fr|drama|Hernani; Ruy Blas; Cromwell; Le roi s'amuse; Lucrèce Borgia
Alexandre Dumas|fr|adventure|Les Trois Mousquetaires; Vingt ans après; Le Vicomte de Bragelonne; Le Comte de Monte-Cristo; La Reine Margot; La Dame de Monsoreau; Les Quarante-Cinq; Le Chevalier de Maison-Rouge; Joseph Balsamo; Le Collier de la reine; La Tulipe noire; Georges
Gustave Flaubert|fr|novel|Madame Bovary; L'Éducation sentimentale; Salammbô; Bouvard et Pécuchet; La Tentation de saint Antoine
Gustave Flaubert|fr|short stories|Trois Contes; Un cœur simple
Honoré de Balzac|fr|novel|Le Père Goriot; Eugénie Grandet; Illusions perdues; La Cousine Bette; Le Cousin Pons; César Birotteau; Le Colonel Chabert; La Peau de chagrin; Le Lys dans la vallée; Splendeurs et misères des courtisanes; Ursule Mirouët; La Recherche de l'absolu; Louis Lambert; Béatrix; Le Médecin de campagne; Les Chouans; La Femme de trente ans; Gobseck; Le Chef-d'œuvre inconnu; La Duchesse de Langeais
Émile Zola|fr|novel|L'Assommoir; Germinal; Nana; La Bête humaine; Au Bonheur des Dames; Thérèse Raquin; La Curée; La Fortune des Rougon; Le Ventre de Paris; La Conquête de Plassans; La Faute de l'abbé Mouret; Son Excellence Eugène Rougon; Une page d'amour; Pot-Bouille; La Joie de vivre; L'Œuvre; La Terre; Le Rêve; L'Argent; La Débâcle; Le Docteur Pascal
Guy de Maupassant|fr|novel|Bel-Ami; Une vie; Pierre et Jean; Mont-Oriol; Fort comme la mort; Notre cœur
Guy de Maupassant|fr|short stories|Boule de suif; Le Horla; Contes de la bécasse; Les Contes du jour et de la nuit; La Maison Tellier; Mademoiselle Fifi; Toine; Le Rosier de Madame Husson
Stendhal|fr|novel|Le Rouge et le Noir; La Chartreuse de Parme; Lucien Leuwen; Armance; Lamiel
Molière|fr|drama|Le Misanthrope; Tartuffe; L'Avare; Le Bourgeois gentilhomme; Le Malade imaginaire; Les Femmes savantes; Dom Juan; L'École des femmes; Les Précieuses ridicules; Les Fourberies de Scapin; Le Médecin malgré lui; George Dandin; Amphitryon; L'École des maris; Sganarelle
Jean Racine|fr|drama|Phèdre; Andromaque; Britannicus; Bérénice; Iphigénie; Bajazet; Mithridate; Athalie; Esther; Les Plaideurs
Pierre Corneille|fr|drama|Le Cid; Horace; Cinna; Polyeucte; L'Illusion comique; Le Menteur; Rodogune; Nicomède
Voltaire|fr|philosophy|Candide; Zadig; Micromégas; L'Ingénu; Lettres philosophiques; Traité sur la tolérance; Dictionnaire philosophique
Jean-Jacques Rousseau|fr|philosophy|Du contrat social; Émile, ou De l'éducation; Julie ou la Nouvelle Héloïse; Les Confessions; Les Rêveries du promeneur solitaire; Discours sur l'origine de l'inégalité
Denis Diderot|fr|philosophy|Jacques le fataliste; La Religieuse; Le Neveu de Rameau; Lettre sur les aveugles
Choderlos de Laclos|fr|novel|Les Liaisons dangereuses
Abbé Prévost|fr|novel|Manon Lescaut
Madame de La Fayette|fr|novel|La Princesse de Clèves
Jean de La Fontaine|fr|poetry|Fables; Contes et nouvelles en vers
Charles Perrault|fr|fairy tales|Contes de ma mère l'Oye; Le Petit Chaperon rouge; Cendrillon; La Belle au bois dormant; Le Chat botté; Barbe bleue; Le Petit Poucet
George Sand|fr|novel|La Mare au diable; La Petite Fadette; François le Champi; Indiana; Consuelo; Lélia; Mauprat; Les Maîtres sonneurs
Alfred de Musset|fr|drama|Lorenzaccio; On ne badine pas avec l'amour; Les Caprices de Marianne; Il ne faut jurer de rien
Alfred de Musset|fr|novel|La Confession d'un enfant du siècle
Alphonse Daudet|fr|short stories|Lettres de mon moulin; Contes du lundi; Le Petit Chose; Tartarin de Tarascon; Tartarin sur les Alpes; Port-Tarascon; L'Arlésienne
Prosper Mérimée|fr|short stories|Carmen; Colomba; Mateo Falcone; La Vénus d'Ille; Chronique du règne de Charles IX
Gérard de Nerval|fr|short stories|Les Filles du feu; Aurélia; Sylvie
Charles Baudelaire|fr|poetry|Les Fleurs du mal; Le Spleen de Paris; Les Paradis artificiels
Arthur Rimbaud|fr|poetry|Une saison en enfer; Illuminations; Le Bateau ivre
Paul Verlaine|fr|poetry|Poèmes saturniens; Fêtes galantes; Romances sans paroles; Sagesse; Jadis et naguère
Gaston Leroux|fr|mystery|Le Mystère de la chambre jaune; Le Parfum de la dame en noir; Le Fantôme de l'Opéra; Chéri-Bibi
Maurice Leblanc|fr|mystery|Arsène Lupin, gentleman cambrioleur; Arsène Lupin contre Herlock Sholmès; L'Aiguille creuse; 813; Le Bouchon de cristal; Les Confidences d'Arsène Lupin; L'Éclat d'obus; Le Triangle d'or; L'Île aux trente cercueils; Les Dents du tigre
Edmond Rostand|fr|drama|Cyrano de Bergerac; L'Aiglon; Chantecler; Les Romanesques
Anatole France|fr|novel|Le Crime de Sylvestre Bonnard; Thaïs; Le Lys rouge; L'Île des pingouins; Les dieux ont soif; La Révolte des anges
Pierre Loti|fr|novel|Pêcheur d'Islande; Ramuntcho; Aziyadé; Madame Chrysanthème; Le Roman d'un spahi
Joris-Karl Huysmans|fr|novel|À rebours; Là-bas; En route; La Cathédrale
Alain-Fournier|fr|novel|Le Grand Meaulnes
Marcel Proust|fr|novel|Du côté de chez Swann; À l'ombre des jeunes filles en fleurs; Le Côté de Guermantes; Sodome et Gomorrhe; La Prisonnière; Albertine disparue; Le Temps retrouvé
Comtesse de Ségur|fr|children|Les Malheurs de Sophie; Les Petites Filles modèles; Les Vacances; Mémoires d'un âne; Le Général Dourakine; Un bon petit diable
Hector Malot|fr|children|Sans famille; En famille; Romain Kalbris
Mihai Eminescu|ro|poetry|Luceafărul; Scrisoarea I; Scrisoarea III; Glossă; Odă în metru antic; Mai am un singur dor; Floare albastră; Dorința; Lacul; Somnoroase păsărele; Sara pe deal; Epigonii; Împărat și proletar; Rugăciunea unui dac; La steaua; Revedere; Ce te legeni; Mortua est; Călin, file din poveste; Povestea teiului
Mihai Eminescu|ro|short stories|Sărmanul Dionis; Făt-Frumos din lacrimă; Cezara; Geniu pustiu
Ion Creangă|ro|memoir|Amintiri din copilărie
Ion Creangă|ro|fairy tales|Povestea lui Harap-Alb; Capra cu trei iezi; Punguța cu doi bani; Fata babei și fata moșneagului; Ivan Turbincă; Soacra cu trei nurori; Dănilă Prepeleac; Povestea porcului; Povestea lui Stan Pățitul; Prostia omenească; Povestea unui om leneș; Moș Nichifor Coțcariul; Ursul păcălit de vulpe; Cinci pâini
Ion Luca Caragiale|ro|drama|O scrisoare pierdută; O noapte furtunoasă; Conu Leonida față cu reacțiunea; D-ale carnavalului; Năpasta
Ion Luca Caragiale|ro|short stories|Momente și schițe; La hanul lui Mânjoală; Kir Ianulea; Două loturi; Căldură mare; D-l Goe; Vizită; Bubico; Telegrame; Five o'clock; Dascăl prost; Cănuță, om sucit; Abu-Hasan; Calul dracului; Pastramă trufanda
Ion Slavici|ro|short stories|Moara cu noroc; Pădureanca; Budulea Taichii; Popa Tanda; Comoara; Scormon; Gura satului
Ion Slavici|ro|novel|Mara; Din două lumi
Liviu Rebreanu|ro|novel|Ion; Pădurea spânzuraților; Răscoala; Ciuleandra; Adam și Eva; Crăișorul; Jar; Gorila; Amândoi
George Coșbuc|ro|poetry|Nunta Zamfirei; Moartea lui Fulger; El-Zorab; Noi vrem pământ; Balade și idile; Fire de tort; Iarna pe uliță; Mama; Pașa Hassan; Doina
Vasile Alecsandri|ro|poetry|Pasteluri; Doine și lăcrămioare; Legende; Ostașii noștri; Peneș Curcanul; Sergentul
Vasile Alecsandri|ro|drama|Chirița în provincie; Chirița în Iași; Fântâna Blanduziei; Despot-Vodă; Ovidiu; Iorgu de la Sadagura
Costache Negruzzi|ro|history|Alexandru Lăpușneanul; Sobieski și românii; Zoe
Nicolae Filimon|ro|novel|Ciocoii vechi și noi
Alexandru Odobescu|ro|short stories|Pseudo-kynegetikos; Mihnea Vodă cel Rău; Doamna Chiajna
Bogdan Petriceicu Hasdeu|ro|drama|Răzvan și Vidra
Bogdan Petriceicu Hasdeu|ro|novel|Ursita
Barbu Ștefănescu Delavrancea|ro|drama|Apus de soare; Viforul; Luceafărul
Barbu Ștefănescu Delavrancea|ro|short stories|Hagi-Tudose; Bunicul; Bunica; Domnul Vucea; Sultănica; Paraziții
Alexandru Vlahuță|ro|history|România pitorească; Dan; Din trecutul nostru
Alexandru Macedonski|ro|poetry|Noaptea de decemvrie; Rondelurile; Excelsior; Flori sacre
Alexandru Macedonski|ro|novel|Thalassa
Duiliu Zamfirescu|ro|novel|Viața la țară; Tănase Scatiu; În război; Îndreptări; Anna
Petre Ispirescu|ro|fairy tales|Legende sau basmele românilor; Tinerețe fără bătrânețe și viață fără de moarte; Prâslea cel voinic și merele de aur; Greuceanu; Aleodor împărat; Zâna munților; Fata de împărat și pescarul; Porcul cel fermecat; Sarea în bucate; Lupul cel năzdrăvan și Făt-Frumos
Octavian Goga|ro|poetry|Poezii; Ne cheamă pământul; Din umbra zidurilor; Cântece fără țară
George Topârceanu|ro|poetry|Balade vesele și triste; Parodii originale; Migdale amare
Panait Istrati|ro|novel|Chira Chiralina; Ciulinii Bărăganului; Mihail; Codin; Neranțula
Grigore Alexandrescu|ro|poetry|Fabule; Umbra lui Mircea. La Cozia; Anul 1840; Câinele și cățelul
Ion Heliade Rădulescu|ro|poetry|Zburătorul
Dimitrie Bolintineanu|ro|poetry|Legende istorice; Muma lui Ștefan cel Mare
Calistrat Hogaș|ro|memoir|Pe drumuri de munte; Amintiri dintr-o călătorie
Nicolae Iorga|ro|history|Istoria românilor; Istoria literaturii românești; Oameni care au fost
Anton Pann|ro|poetry|Povestea vorbii; Fabule și istorioare
Ion Budai-Deleanu|ro|satire|Țiganiada
Dimitrie Cantemir|ro|history|Descrierea Moldovei; Istoria ieroglifică; Hronicul vechimei a romano-moldo-vlahilor
Ion Neculce|ro|history|Letopisețul Țării Moldovei; O samă de cuvinte
Miron Costin|ro|history|Letopisețul Țării Moldovei de la Aron Vodă încoace
Emil Gârleanu|ro|short stories|Din lumea celor care nu cuvântă; Bătrânii; Cea dintâi durere
"""
